"""Batch references (oracles) computed straight from the spec, independent of the pipeline."""
