"""Talking to a person: a user's message reaches the team's chat, the team's reply reaches the
user (`service.py` holds the rules, `store.py` the SQL). No Telegram here."""
