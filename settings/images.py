"""Container images the program and the shipped templates run, each pinned by digest (a tag can be moved).

The digests were taken from public sources that pin the same tags (this project cannot reach a registry); check
them with `crane digest <image:tag>` or `docker buildx imagetools inspect <image:tag>` before a release.
"""

# Runs podkit.pyz (podkit/ and github/, standard library only): the reports, and the clone credentials of
# secret-scan. Alpine's python image: python3 and the standard library, nothing else is needed.
PYTHON = "docker.io/library/python:3.13-alpine@sha256:399babc8b49529dabfd9c922f2b5eea81d611e4512e3ed250d75bd2e7683f4b0"
