"""The open catalog as DCAT-AP 3 (rdflib) at the paths ckanext-dcat uses."""
