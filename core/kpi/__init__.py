"""The KPI scorecard's metric registry and settings (docs/metrics.md#kpi-score)."""
