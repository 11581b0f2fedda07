"""Working days and the holiday schedule they count on: tables (models), parsing and storing (schedule), questions."""
