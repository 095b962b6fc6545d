// One account entry of the request from whatever the user passes: a hashtable, a CSV row from
// Import-Csv, an object from Get-AwsCliSsoAccount, or the original's remembered list. The library
// checks every value and names the entry at fault (accounts[i].accountId, ...).

using System;
using System.Collections;
using System.Globalization;
using System.Management.Automation;

namespace SetAwsCliSsoCredentials.Engine
{
    internal static class AccountInput
    {
        public static AccountRequest ToRequest(object input)
        {
            return new AccountRequest
            {
                Profile = Text(Member(input, "Profile")),
                AccountId = AccountId(Member(input, "AccountId")) ?? string.Empty,
                // Null: the library applies defaultRoleName.
                RoleName = Text(Member(input, "RoleName")),
                AccountName = Text(Member(input, "AccountName")),
            };
        }

        /// <summary>A key of a hashtable or a property of an object, case-insensitive; null when absent.</summary>
        private static object Member(object input, string name)
        {
            object value = input is PSObject wrapped ? wrapped.BaseObject : input;
            if (value is IDictionary dictionary)
            {
                foreach (DictionaryEntry entry in dictionary)
                {
                    if (string.Equals(entry.Key as string, name, StringComparison.OrdinalIgnoreCase))
                    {
                        return entry.Value;
                    }
                }
                return null;
            }
            PSPropertyInfo property = PSObject.AsPSObject(input).Properties[name];
            return property?.Value;
        }

        private static string Text(object value)
        {
            if (value is PSObject wrapped)
            {
                value = wrapped.BaseObject;
            }
            string text = value == null ? null : Convert.ToString(value, CultureInfo.InvariantCulture).Trim();
            return string.IsNullOrEmpty(text) ? null : text;
        }

        /// <summary>An account id given as a number (@{AccountId = 12345678901}) gets its leading zeros back.</summary>
        private static string AccountId(object value)
        {
            if (value is PSObject wrapped)
            {
                value = wrapped.BaseObject;
            }
            switch (value)
            {
                case int i: return i.ToString("D12", CultureInfo.InvariantCulture);
                case long l: return l.ToString("D12", CultureInfo.InvariantCulture);
                case uint u: return u.ToString("D12", CultureInfo.InvariantCulture);
                case ulong ul: return ul.ToString("D12", CultureInfo.InvariantCulture);
                case decimal d when d == decimal.Truncate(d) && d >= 0: return ((ulong)d).ToString("D12", CultureInfo.InvariantCulture);
                case double f when f == Math.Floor(f) && f >= 0 && f < 1e13: return ((ulong)f).ToString("D12", CultureInfo.InvariantCulture);
                default: return Text(value);
            }
        }
    }
}
