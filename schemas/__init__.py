"""What arrives: the event contract of spec/events.md and the packed internal form."""
