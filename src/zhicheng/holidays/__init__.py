"""The holiday schedule's doors (放假安排): who may read and enter it, its API, pages and `zhicheng holidays`."""
