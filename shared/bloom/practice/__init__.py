"""The practice: therapists and patients, therapist profiles, assignments and their connections, the auth audit."""
