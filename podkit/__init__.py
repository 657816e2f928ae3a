"""Standard-library-only code that runs inside Workflow pods, shipped as one artifact (`podkit.pyz`, a zipapp built
by the program from podkit/ and github/, see delivery/podkit_artifact.py) and run as
`python3 /opt/podkit/podkit.pyz <command>`; the commands are registered in podkit/__main__.py."""
