"""People's data: their rights by SMS (DATA, HAPUS) and what the service keeps out of logs, files and exports."""
