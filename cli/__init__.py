"""The command-line tools, behind one entry point: `python -m cli <command>`."""
