"""WhatsApp subscriptions (respond.io): one active per user, shown in the profile, erased with the user."""
