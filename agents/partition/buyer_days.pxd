# C layout of buyer_days.py's hottest class for the compiled core (core.compiled); the .py file
# stays the reference. Attributes read from outside are public (readonly for tests' looks);
# internal methods are cpdef, so calls inside the core skip Python's call protocol.

cdef class BuyerDays:
    cdef str _converts_on
    cdef bint _compact
    cdef readonly dict _buyers
    cdef dict _floors
    cdef set _changed
    cdef set _touched
    cdef list _expiry
    cdef long long _horizon
    cdef long long _memory_ms
    cdef public object floor_sweeps

    cpdef void inquiry(self, object inquiry, bint deleted) except *
    cpdef list take_rows(self, object version)
    cpdef void advance(self, long long horizon_ms) except *
    cpdef void _schedule(self, tuple key, object buyer, long long first) except *
