"""skillscan: find the AI-agent skills that can hurt their user."""

__version__ = "0.1.0"
