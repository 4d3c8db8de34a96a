using Portal.Payments.Services.Invoices;
using Xunit;

namespace Portal.Payments.Core.Tests;

/// <summary>The CSV exports' formula-injection guard and quoting (security review: ';'-locale spreadsheets, leading spaces).</summary>
public class CsvGuardTests
{
    [Theory]
    [InlineData("=1+1", "'=1+1")]
    [InlineData("+1 call", "'+1 call")]
    [InlineData("-dash", "'-dash")]
    [InlineData("@SUM(A1)", "'@SUM(A1)")]
    [InlineData("  =1+1", "  '=1+1")]
    [InlineData("\t=1+1", "\t'=1+1")]
    [InlineData(";=1+1", ";'=1+1")]
    [InlineData("x;=1+1", "x;'=1+1")]
    [InlineData("x; =HYPERLINK(1)", "x; '=HYPERLINK(1)")]
    [InlineData("a,-2", "a,'-2")]
    [InlineData("a|@b", "a|'@b")]
    [InlineData("line\n=1", "line\n'=1")]
    [InlineData("line\r\n +1", "line\r\n '+1")]
    [InlineData("\uFF1D1+1", "'\uFF1D1+1")]
    public void A_formula_character_at_the_start_of_any_cell_a_spreadsheet_could_split_off_is_neutralised(string text, string expected) =>
        Assert.Equal(expected, InvoiceCsv.Guard(text));

    [Theory]
    [InlineData("INV-1001")]
    [InlineData("Net 30 - 2% off")]
    [InlineData("a=b")]
    [InlineData("tab\there")]
    [InlineData("Credit, \"quoted\"")]
    [InlineData("")]
    public void Text_without_a_formula_at_a_cell_start_is_unchanged(string text) =>
        Assert.Equal(text, InvoiceCsv.Guard(text));

    [Fact]
    public async Task Every_text_cell_is_quoted_and_numbers_are_written_bare()
    {
        var output = new StringWriter();
        await InvoiceCsv.WriteLineAsync(output, ["INV-1", "x;=1+1", "say \"hi\"", null, CsvCell.Number("-12.50"), CsvCell.Number("")], CancellationToken.None);
        Assert.Equal("\"INV-1\",\"x;'=1+1\",\"say \"\"hi\"\"\",\"\",-12.50,\r\n", output.ToString());
    }
}
