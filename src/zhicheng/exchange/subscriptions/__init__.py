"""Subscriptions (数据订阅): webhooks told of each new version of a granted resource, signed, retried, recorded."""
