"""Data sharing and exchange (共享交换): requests, approvals, grants, delivery, subscriptions."""
