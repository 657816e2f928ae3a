"""Standard-library-only code that runs inside Workflow pods: commit status reports and clone credentials."""
