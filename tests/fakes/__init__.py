"""Local fakes of the services the code talks to, served on 127.0.0.1 by the tests themselves."""
