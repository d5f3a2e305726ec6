# This file is maintained automatically by "terraform init".
# Manual edits may be lost in future updates.

provider "registry.terraform.io/hashicorp/google" {
  version     = "6.49.1"
  constraints = "~> 6.49.0"
  hashes = [
    "h1:/DR/dg5mVQkbDD0VH/zep5FbUjxgsNyeCEdyBYJHEeg=",
    "zh:0fca29d64bee30984645a9c88076a5e26213b3f54b75a89ae64ca3148ea9fcd9",
    "zh:2496949c284d0d0982a8d53ac18f5c3d8f52beb0b94109098847944a74f455be",
    "zh:4ef9a757a13ec3b09779295ae5ee260dd230d430a1b1232152b0cef0f4e8d85d",
    "zh:4f3ee24bb269fc959fbc667a90623753a8f2e11b37a0ce4cce3a12b3850e135c",
    "zh:8f19463126b7343bef3ba6e544f3f97fb6e7b5f7a23efe4cb5f43089638c347d",
    "zh:9555a8e37e9134f551a80e8bfb163a809dfe910deacf627b3e7ef00443b33761",
    "zh:b88106d18d0fc6b5f146edecd51dc609edb5b7465628fb20f1d16b6e3b2cc31d",
    "zh:bef2ee733f781b653b392b2d0a760ba806ba82468998fbdebe5a54eb90606d25",
    "zh:cbd8664d1a3f86d53e45719ae7be0287ea17a506478ee3f1709efb603f42b84c",
    "zh:dd06e17e62f38b5034bf120c13abee23786fc5445f77c5a03b5d85fa451319bb",
    "zh:defd72f391ae8e83b74ef7ede6673c389d522f3e19b90ff5eb2d2971ac72a313",
    "zh:f569b65999264a9416862bca5cd2a6177d94ccb0424f3a4ef424428912b9cb3c",
  ]
}

provider "registry.terraform.io/hashicorp/google-beta" {
  version     = "6.49.0"
  constraints = "~> 6.49.0"
  hashes = [
    "h1:gJNLoXU/ZZILzWza0iXTBnfDljoqaI//4hV3T7K7BjY=",
    "zh:04650217adc6be4bff4e029a95c60958c2d8b9758b165461ae19c7eaa5fa25ba",
    "zh:16b3e309da0fbd1fc604836beb0a47b077bf6892d1d16ee5db03fbcc956f9f63",
    "zh:4950498a533b9c5d7a861f8d9629a4af57e164d5549bdcd4c31c2f33d0c49654",
    "zh:71ef537899552ef1ccda74cec59cde1c6019ee5650cbe82b036d1f2c957cde90",
    "zh:852f8f9255edd63d0a73f695242a26b0121d604cde3029e036acd0889d6c152c",
    "zh:897bdbb83b7b8b52ab6e941d50bdeb2ba460db8e2df3a782cf35225aa645544c",
    "zh:acb6c795d3fb4e82e21cf2461827b5aee7628646a48b6e9cc0c49e096d3b1a2e",
    "zh:b6d72ccf85053d53324b64e251ae83118455bf14ce88f51aa40c472d0cdc6d6f",
    "zh:c345076e74fb03dc039514c1b49a00cfe5fa3a9620904896836be28caf6b1780",
    "zh:d76b5a8ac9392a5e38a41c19ce54cf8ddd165acb1d47ce64dfc6c6309f3d802c",
    "zh:e187cbce2f1ae6bb09a2e0443996db1aff28fe52299333f44288dda2f968aed7",
    "zh:f569b65999264a9416862bca5cd2a6177d94ccb0424f3a4ef424428912b9cb3c",
  ]
}

provider "registry.terraform.io/hashicorp/time" {
  version     = "0.9.1"
  constraints = "~> 0.9.1"
  hashes = [
    "h1:NUv/YtEytDQncBQ2mTxnUZEy/rmDlPYmE9h2iokR0vk=",
    "zh:00a1476ecf18c735cc08e27bfa835c33f8ac8fa6fa746b01cd3bcbad8ca84f7f",
    "zh:3007f8fc4a4f8614c43e8ef1d4b0c773a5de1dcac50e701d8abc9fdc8fcb6bf5",
    "zh:5f79d0730fdec8cb148b277de3f00485eff3e9cf1ff47fb715b1c969e5bbd9d4",
    "zh:78d5eefdd9e494defcb3c68d282b8f96630502cac21d1ea161f53cfe9bb483b3",
    "zh:8c8094689a2bed4bb597d24a418bbbf846e15507f08be447d0a5acea67c2265a",
    "zh:a6d9206e95d5681229429b406bc7a9ba4b2d9b67470bda7df88fa161508ace57",
    "zh:aa299ec058f23ebe68976c7581017de50da6204883950de228ed9246f309e7f1",
    "zh:b129f00f45fba1991db0aa954a6ba48d90f64a738629119bfb8e9a844b66e80b",
    "zh:ef6cecf5f50cda971c1b215847938ced4cb4a30a18095509c068643b14030b00",
    "zh:f1f46a4f6c65886d2dd27b66d92632232adc64f92145bf8403fe64d5ffa5caea",
    "zh:f79d6155cda7d559c60d74883a24879a01c4d5f6fd7e8d1e3250f3cd215fb904",
    "zh:fd59fa73074805c3575f08cd627eef7acda14ab6dac2c135a66e7a38d262201c",
  ]
}
