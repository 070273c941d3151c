# C layout of state.py's hottest class for the compiled core (core.compiled); the .py file
# stays the reference. Attributes read from outside are public (readonly for tests' looks);
# internal methods are cpdef, so calls inside the core skip Python's call protocol.

from agents.inquiries.engine cimport InquiryEngine
from agents.partition.buyer_days cimport BuyerDays
from agents.partition.dedup cimport SeenWindow

cdef class PartitionState:
    cdef public object partition
    cdef public object hours_for
    cdef public InquiryEngine engine
    cdef public object watermarks
    cdef public dict refunds
    cdef public dict orders
    cdef public BuyerDays buyer_days
    cdef public object conversation_memory_ms
    cdef public object fact_memory_ms
    cdef public object recency
    cdef public object sweeps
    cdef public dict _gone
    cdef public bint forgot_facts
    cdef public SeenWindow seen
    cdef public object offset
    cdef public object generation
    cdef public str incarnation
    cdef public object orphans
    cdef public object started_ms
    cdef public object snapshot_ms
    cdef public list lost
    cdef public object applied_beyond_window
    cdef public set _dirty_refunds
    cdef public set _dirty_orders
    cdef public list outbox

    cpdef void _apply_event(self, dict event, object row_version, object emit, object now_ms, object recalled) except *
