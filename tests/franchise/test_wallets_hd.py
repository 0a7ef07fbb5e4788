"""BIP32 / BIP39 / BIP44 against the published vectors, and the seed's path scheme."""

from __future__ import annotations

from bip_utils import Bip32Slip10Secp256k1, Bip39MnemonicGenerator, Bip39SeedGenerator
from hypothesis import given, settings
from hypothesis import strategies as st

from fodi.franchise.wallets.hd import (
    Account,
    Keyring,
    account_xpubs,
    address_at,
    derivation_path,
    new_mnemonic,
    reference_address_at,
    seed_from_mnemonic,
    valid_mnemonic,
)

ABANDON = "abandon " * 11 + "about"
XPUBS = account_xpubs(seed_from_mnemonic(ABANDON))


def test_bip32_test_vector_1() -> None:
    # bitcoin/bips bip-0032.mediawiki, test vector 1 (seed 000102...0f).
    master = Bip32Slip10Secp256k1.FromSeed(bytes.fromhex("000102030405060708090a0b0c0d0e0f"))
    assert master.PrivateKey().ToExtended() == (
        "xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvNKmPGJxWUtg6LnF5kejMRNNU3TGtRBeJgk33yuGBxrMPHi"
    )
    assert master.PublicKey().ToExtended() == (
        "xpub661MyMwAqRbcFtXgS5sYJABqqG9YLmC4Q1Rdap9gSE8NqtwybGhePY2gZ29ESFjqJoCu1Rupje8YtGqsefD265TMg7usUDFdp6W1EGMcet8"
    )
    child = master.DerivePath("m/0'/1/2'/2/1000000000")
    assert child.PrivateKey().ToExtended() == (
        "xprvA41z7zogVVwxVSgdKUHDy1SKmdb533PjDz7J6N6mV6uS3ze1ai8FHa8kmHScGpWmj4WggLyQjgPie1rFSruoUihUZREPSL39UNdE3BBDu76"
    )
    assert child.PublicKey().ToExtended() == (
        "xpub6H1LXWLaKsWFhvm6RVpEL9P4KfRZSW7abD2ttkWP3SSQvnyA8FSVqNTEcYFgJS2UaFcxupHiYkro49S8yGasTvXEYBVPamhGW6cFJodrTHy"
    )


def test_bip39_vectors() -> None:
    # trezor/python-mnemonic vectors.json: entropy 00*16 with passphrase "TREZOR".
    assert str(Bip39MnemonicGenerator().FromEntropy(bytes(16))) == ABANDON
    assert Bip39SeedGenerator(ABANDON).Generate("TREZOR").hex() == (
        "c55257c360c07c72029aebc1b53c05ed0362ada38ead3e3e9efa3708e53495531f09a6987599d18264c1e1c92f2cf141630c7a3c4ab7c81b2f001698e7463b04"
    )
    assert str(Bip39MnemonicGenerator().FromEntropy(bytes.fromhex("7f" * 16))) == (
        "legal winner thank year wave sausage worth useful legal winner thank yellow"
    )
    assert valid_mnemonic(ABANDON)
    assert not valid_mnemonic("abandon " * 12)
    assert valid_mnemonic(new_mnemonic(24))
    assert len(new_mnemonic(12).split()) == 12


def test_ethereum_addresses_follow_the_seed_scheme() -> None:
    xpubs = account_xpubs(seed_from_mnemonic(ABANDON))
    keyring = Keyring(xpubs)
    # The widely published first account of this mnemonic (m/44'/60'/0'/0/0).
    assert keyring.master_address == "0x9858EfFD232B4033E47d90003D41EC34EcaEda94"
    full = Bip32Slip10Secp256k1.FromSeed(seed_from_mnemonic(ABANDON))
    for account in Account:
        assert derivation_path(account, 7) == f"m/44'/60'/{int(account)}'/0/7"
        expected = full.DerivePath(f"m/44'/60'/{int(account)}'").PublicKey().ToExtended()
        assert xpubs[account] == expected
        assert xpubs[account].startswith("xpub")
    addresses = {keyring.address(a, 0) for a in Account}
    assert len(addresses) == 5
    assert address_at(xpubs[Account.CHECK], 1) != address_at(xpubs[Account.CHECK], 2)


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 2**31 - 1), st.sampled_from(list(Account)))
def test_fast_derivation_matches_bip_utils(index: int, account: Account) -> None:
    xpub = XPUBS[account]
    assert address_at(xpub, index) == reference_address_at(xpub, index)
