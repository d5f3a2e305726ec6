"""Chat and CRM profiles (Crisp, Mailchimp): kept current from domain events, erased with the user."""
