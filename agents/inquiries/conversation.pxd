# C layout of conversation.py's hottest class for the compiled core (core.compiled); the .py file
# stays the reference. Attributes read from outside are public (readonly for tests' looks);
# internal methods are cpdef, so calls inside the core skip Python's call protocol.

cdef class Conversation:
    cdef public tuple key
    cdef public str agent
    cdef public tuple opened
    cdef public list pending
    cdef public tuple emitted
    cdef public str tail_agent
    cdef public tuple tail_open
    cdef public object settle_at
    cdef public object deadline_id
