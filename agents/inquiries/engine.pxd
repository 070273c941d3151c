# C layout of engine.py's hottest class for the compiled core (core.compiled); the .py file
# stays the reference. Attributes read from outside are public (readonly for tests' looks);
# internal methods are cpdef, so calls inside the core skip Python's call protocol.

from agents.inquiries.conversation cimport Conversation

cdef class InquiryEngine:
    cdef object _hours_for
    cdef long long _lateness
    cdef bint _watermarked
    cdef long long _max_seen
    cdef long long _horizon
    cdef dict _convs
    cdef dict _settle_queue
    cdef list _buckets
    cdef list _deadlines
    cdef set _dirty
    cdef set _touched
    cdef dict _changes
    cdef public object stats

    cpdef void add_fields(self, tuple key, long long at, str event_id, str sender, str agent_id) except *
    cpdef void _append(self, tuple key, Conversation conv, tuple item) except *
    cpdef void _queue(self, tuple key, Conversation conv, long long at) except *
    cpdef void _record(self, tuple row, object previous, object current) except *
    cpdef void advance_watermark(self, long long watermark_ms) except *
    cpdef void _advance(self, long long horizon) except *
    cpdef void _settle_buckets(self, long long below, long long limit) except *
    cpdef void _settle(self, tuple key, Conversation conv, long long limit) except *
    cpdef void _fold(self, tuple key, Conversation conv, Py_ssize_t cut, list rows) except *
    cpdef void _reconcile(self, tuple key, Conversation conv, Py_ssize_t cut) except *
    cpdef tuple _open_row(self, tuple key, Conversation conv, tuple opened)
    cpdef void _compact(self, tuple key, Conversation conv) except *
    cpdef Conversation _wake(self, tuple key, object held)
