"""Clients under test that the suite ships: deliberately broken variants of the reference
client (`broken`), each the reference driver with one rule changed, to show that the checks
catch the classic bugs."""
