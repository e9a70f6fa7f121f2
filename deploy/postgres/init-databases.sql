-- One database per service (ARCHITECTURE.md §1). Services create their schemas and tables on start.
CREATE DATABASE omnibus_identity;
CREATE DATABASE omnibus_customers;
CREATE DATABASE omnibus_catalog;
CREATE DATABASE omnibus_provisioning;
CREATE DATABASE omnibus_billing;
CREATE DATABASE omnibus_charging_gateway;
CREATE DATABASE omnibus_cbc;
