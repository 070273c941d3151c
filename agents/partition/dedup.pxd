# C layout of dedup.py's hottest class for the compiled core (core.compiled); the .py file
# stays the reference. Attributes read from outside are public (readonly for tests' looks);
# internal methods are cpdef, so calls inside the core skip Python's call protocol.

cdef class SeenWindow:
    cdef dict _at
    cdef list _new
    cdef public long long retention_ms
    cdef long long _newest
    cdef public long long pruned_at

    cpdef bint first_time(self, str event_id, long long at_ms) except -1
