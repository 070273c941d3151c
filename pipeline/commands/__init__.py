"""One module per `kefu` command; pipeline.cli parses arguments and reports errors."""
