"""Conversation quality inspection (质检), see docs/metrics.md#quality-inspection.

Pure and broker-free: `dictionary.reload` builds an immutable `Ruleset`; `findings.inspect`
turns one chat message into findings; `context.Conversations` remembers, per conversation,
the buyer question a reply answers; `score.qc_score` and `scripts.ScriptLibrary` compute
what the boards show.
"""
