"""Accounts: departments (a tree under GB/T 2260 regions), users, roles, API keys, login sessions and tokens."""
