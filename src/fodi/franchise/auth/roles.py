"""The seed's roles (kyc_aml.rs ``UserRole``) and their permissions, enforced on every route.

SuperAdmin has every permission.  Admin, Compliance, MasterOwner, FranchiseOwner and Customer
are the seed's own mapping; the seed left POSOperator, Cashier, Investor and Auditor without
one (assigning them failed with RoleNotFound), so they get the narrow sets below.
"""

from __future__ import annotations

from enum import StrEnum


class Permission(StrEnum):
    MANAGE_USERS = "ManageUsers"
    MANAGE_ROLES = "ManageRoles"
    VIEW_AUDIT_LOGS = "ViewAuditLogs"
    MANAGE_SYSTEM = "ManageSystem"
    VERIFY_KYC = "VerifyKYC"
    VIEW_KYC_DATA = "ViewKYCData"
    MANAGE_COMPLIANCE = "ManageCompliance"
    GENERATE_REPORTS = "GenerateReports"
    PROCESS_TRANSACTIONS = "ProcessTransactions"
    MANAGE_NODES = "ManageNodes"
    VIEW_FINANCIALS = "ViewFinancials"
    MANAGE_MENU = "ManageMenu"
    CREATE_ORDERS = "CreateOrders"
    VIEW_OWN_DATA = "ViewOwnData"
    TRANSFER_TOKENS = "TransferTokens"
    VOTE_ON_PROPOSALS = "VoteOnProposals"


class FranchiseRole(StrEnum):
    SUPER_ADMIN = "SuperAdmin"
    ADMIN = "Admin"
    COMPLIANCE = "Compliance"
    MASTER_OWNER = "MasterOwner"
    FRANCHISE_OWNER = "FranchiseOwner"
    POS_OPERATOR = "POSOperator"
    CASHIER = "Cashier"
    CUSTOMER = "Customer"
    INVESTOR = "Investor"
    AUDITOR = "Auditor"


P = Permission
PERMISSIONS: dict[FranchiseRole, frozenset[Permission]] = {
    FranchiseRole.SUPER_ADMIN: frozenset(Permission),
    FranchiseRole.ADMIN: frozenset(
        {
            P.MANAGE_USERS,
            P.VIEW_KYC_DATA,
            P.MANAGE_COMPLIANCE,
            P.GENERATE_REPORTS,
            P.VIEW_AUDIT_LOGS,
        }
    ),
    FranchiseRole.COMPLIANCE: frozenset(
        {P.VERIFY_KYC, P.VIEW_KYC_DATA, P.MANAGE_COMPLIANCE, P.GENERATE_REPORTS}
    ),
    FranchiseRole.MASTER_OWNER: frozenset(
        {P.MANAGE_NODES, P.VIEW_FINANCIALS, P.MANAGE_MENU, P.PROCESS_TRANSACTIONS}
    ),
    FranchiseRole.FRANCHISE_OWNER: frozenset(
        {P.VIEW_FINANCIALS, P.MANAGE_MENU, P.PROCESS_TRANSACTIONS}
    ),
    FranchiseRole.POS_OPERATOR: frozenset({P.PROCESS_TRANSACTIONS, P.VIEW_OWN_DATA}),
    FranchiseRole.CASHIER: frozenset({P.PROCESS_TRANSACTIONS}),
    FranchiseRole.CUSTOMER: frozenset(
        {P.CREATE_ORDERS, P.VIEW_OWN_DATA, P.TRANSFER_TOKENS, P.VOTE_ON_PROPOSALS}
    ),
    FranchiseRole.INVESTOR: frozenset({P.VIEW_FINANCIALS, P.VIEW_OWN_DATA}),
    FranchiseRole.AUDITOR: frozenset({P.VIEW_AUDIT_LOGS, P.VIEW_FINANCIALS, P.GENERATE_REPORTS}),
}


def has_permission(role: FranchiseRole, permission: Permission) -> bool:
    return permission in PERMISSIONS[role]
