output "gateway_url" {
  description = "Public base URL of the API Gateway."
  value       = "https://${google_api_gateway_gateway.bloom.default_hostname}"
}

output "api_base_url" {
  description = "What the frontend uses as its API base URL (NEXT_PUBLIC_API_URL, as is: no trailing slash, the frontend appends each path to it): the API origin's when api_url is set."
  value       = var.api_url == null ? "https://${google_api_gateway_gateway.bloom.default_hostname}/api/v1" : "${var.api_url}/v1"
}

output "function_uris" {
  description = "Cloud Run URI of every function, by registry name (private: invoke through the gateway)."
  value       = { for name, fn in google_cloudfunctions2_function.function : name => fn.service_config[0].uri }
}

output "source_bucket" {
  description = "Bucket holding the function source bundles."
  value       = google_storage_bucket.source.name
}

output "dead_letter_topics" {
  description = "Dead-letter topic of every topic; each has a pull subscription of the same name (see pubsub.tf)."
  value       = { for name in keys(local.topics) : name => google_pubsub_topic.topic["${name}.dead-letter"].id }
}
