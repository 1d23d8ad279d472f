"""The client side of `tasksync`: commands that talk to a running TaskSync through its public
API (the gateway), never to service code. They import nothing from the servers, so they start
fast (see `cli/entry.py`)."""
