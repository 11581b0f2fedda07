"""Tests of the environment scenario (智慧环保): its calculators, API, page and commands."""
