"""What arrives: the event contract of docs/events.md and the packed internal form."""
