"""The open catalog through CKAN's action API (2.10/2.11): packages, search and fq, DataStore, the fast lane."""
