//! Typed DTOs for every Zoom endpoint zoom-scim uses. Tolerant by design: unknown fields
//! are ignored, missing fields default, and numbers Zoom sometimes sends as strings (or
//! strings as numbers) are accepted either way. Request bodies skip unset fields.
//!
//! Field names follow Zoom's OpenAPI documents (Users, Accounts, Phone) and recorded
//! answers, as docs/zoom-contract.md lists them (sections 3 to 5 and 10, Sources).
//! One file per API family; every type is re-exported here (`zoom::model::ZoomUser`).

mod groups;
mod lenient;
mod members;
mod phone;
mod roles;
mod users;

pub use groups::{Group, GroupCreate};
pub(crate) use members::AddMembersResponse;
pub use members::{AddedMembers, Member};
pub use phone::{
    AccountCallingPlan, CallingPlan, Country, ListPhoneUsersQuery, NumberAssignee, PhoneNumber,
    PhoneNumberFilter, PhoneNumberRef, PhoneSite, PhoneUser, PhoneUserProfile, SiteRef,
    UpdatePhoneUser,
};
pub use roles::{ADMIN_ROLE_ID, MEMBER_ROLE_ID, OWNER_ROLE_ID, Role};
pub use users::{
    CreateAction, CreateUser, CreateUserInfo, CreatedUser, DeleteAction, DeleteUser,
    ListUsersQuery, Password, StatusAction, UpdateUser, UserFeature, UserPhoneNumber, UserSettings,
    UserStatus, ZoomUser,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tolerates_missing_ids_nulls_and_numbers_as_strings() {
        let pending: ZoomUser = serde_json::from_str(
            r#"{"email":"p@example.com","type":"1","status":"pending","pmi":null,"group_ids":null,"extra":{"x":1}}"#,
        )
        .unwrap();
        assert_eq!(pending.id, None);
        assert_eq!(pending.user_type, Some(1));
        assert!(pending.is_pending());
        let phone: PhoneUser = serde_json::from_str(
            r#"{"id":"u1","extension_number":"1001","calling_plans":null,"phone_numbers":[{"id":"n1","number":"+15550100"}]}"#,
        )
        .unwrap();
        assert_eq!(phone.extension_number, Some(1001));
        assert!(phone.calling_plans.is_empty());
        assert_eq!(phone.phone_numbers[0].number.as_deref(), Some("+15550100"));
    }
}
