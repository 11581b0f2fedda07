"""智慧环保, the environment scenario: air (HJ 633 AQI), surface water (GB 3838) and noise (GB 3096) calculators."""
