"""Any English ICB from the national tables: lookup, facts, scenario writer (`simcare new-icb`)."""
