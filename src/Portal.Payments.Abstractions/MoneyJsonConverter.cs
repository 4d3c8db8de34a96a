using System.Text.Json;
using System.Text.Json.Serialization;

namespace Portal.Payments;

/// <summary>Writes <see cref="Money"/> as <c>{"amount":12.34,"currency":"USD"}</c> and validates on read.</summary>
public sealed class MoneyJsonConverter : JsonConverter<Money>
{
    /// <inheritdoc />
    public override Money Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("Money must be an object with amount and currency.");
        }
        decimal? amount = null;
        string? currency = null;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var name = reader.GetString();
            reader.Read();
            if (string.Equals(name, "amount", StringComparison.OrdinalIgnoreCase))
            {
                amount = reader.TokenType == JsonTokenType.String ? decimal.Parse(reader.GetString()!, System.Globalization.CultureInfo.InvariantCulture) : reader.GetDecimal();
            }
            else if (string.Equals(name, "currency", StringComparison.OrdinalIgnoreCase))
            {
                currency = reader.GetString();
            }
            else
            {
                reader.Skip();
            }
        }
        if (amount is null || currency is null)
        {
            throw new JsonException("Money needs both amount and currency.");
        }
        return Money.TryCreate(amount.Value, currency, out var money, out var error) ? money : throw new JsonException(error);
    }

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, Money value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        writer.WriteNumber("amount", value.Amount);
        writer.WriteString("currency", value.Currency);
        writer.WriteEndObject();
    }
}
