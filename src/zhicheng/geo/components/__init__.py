"""City components (城市部件, GB/T 30428.2): the class table, 16-digit codes, inventories and grid assignment."""
