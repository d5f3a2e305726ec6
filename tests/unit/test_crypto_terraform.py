"""The records KEK in Terraform: a rotating Cloud KMS key that only the functions declaring
`Capability.CLINICAL_KEYS` may use, and whose URI only they receive."""

from __future__ import annotations

from tests.support import terraform as tf


def test_the_kek_rotates_and_is_never_destroyed_by_a_plan() -> None:
    key = tf.resource("google_kms_crypto_key", "records_kek")
    assert tf.unquote(key["purpose"]) == "ENCRYPT_DECRYPT"
    assert tf.unquote(key["rotation_period"]) == "7776000s"
    assert key["lifecycle"][0]["prevent_destroy"] is True
    assert key["key_ring"] == "${google_kms_key_ring.records.id}"


def test_encrypt_and_decrypt_are_granted_to_the_declaring_functions_only() -> None:
    users = tf.evaluate({"users": "keys(local.clinical_key_users)"})["users"]
    declared = tf.profiles_of(lambda fn: "clinical_keys" in fn["uses"])
    assert users and set(users) == declared
    grant = tf.resource("google_kms_crypto_key_iam_member", "records_kek")
    assert grant["for_each"] == "${local.clinical_key_users}"
    assert tf.unquote(grant["role"]) == "roles/cloudkms.cryptoKeyEncrypterDecrypter"
    assert grant["crypto_key_id"] == "${google_kms_crypto_key.records_kek.id}"
    assert tf.function_member(grant)


def test_only_the_declaring_functions_receive_the_key_uri() -> None:
    function = tf.resource("google_cloudfunctions2_function", "function")
    variables = str(function["service_config"][0]["environment_variables"])
    assert 'contains(each.value.uses, "clinical_keys")' in variables
    assert "KMS_KEY_URI" in variables and "google_kms_crypto_key.records_kek.id" in variables


def test_the_kms_api_is_enabled() -> None:
    assert '"cloudkms.googleapis.com"' in tf.resource("google_project_service", "api")["for_each"]
