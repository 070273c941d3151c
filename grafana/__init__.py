"""Grafana boards as code: dashboards, data sources and an alert rule, generated from Python.

`python -m grafana.build` writes the JSON and provisioning YAML under this folder;
`kefu grafana push` sends the same definitions to a running Grafana.
"""
