"""The ``netprov`` command line: thin front ends that parse, call a service, and print."""
