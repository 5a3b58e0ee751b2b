"""Client drivers: how the suite makes a client under test act (conformance.drivers.base)."""
