"""What the planner cannot do with the facts or arguments it was given."""

from core.errors import KefuError


class PlanningError(KefuError):
    """Too little history, or a horizon the planner does not forecast; the CLI prints it."""
