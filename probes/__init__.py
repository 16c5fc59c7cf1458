"""Evidence collection: fact definitions per object type and the transports that run them."""
