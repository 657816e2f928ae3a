"""One GitHub REST client (standard library only): used by the command-line tools and by the code in pods."""
