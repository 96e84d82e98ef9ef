"""Activation bot: Teams front end for telecom service activations.

Layout: `domain/` is the activation model (pure Python), `storage/` the stores behind one
contract, `teams/` the only place that knows botbuilder, `app.py` wires them together.
"""
