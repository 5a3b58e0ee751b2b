"""The Realtime API's server side, sans-I/O: behaviours that turn client events into server events.

A behaviour (the simulated model, a scenario player) never touches a socket or a clock. The
driver (mockserver) hands it client events with the current time, asks for what is due, and
sleeps until the next deadline. Events inside are GA-shaped; the driver translates at the edge
for beta connections.
"""
