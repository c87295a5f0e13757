package dev.chargeback.meter.delivery;

import dev.chargeback.meter.bill.Bill;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import jakarta.mail.util.ByteArrayDataSource;
import java.io.IOException;
import java.util.List;
import java.util.Properties;

/**
 * Each final bill e-mailed to the namespace's recipients over SMTP (STARTTLS required when
 * configured, then authentication), the PDF attached and the CSV too when asked. The {@code
 * Message-ID} is the parcel's key, the same on every attempt, so mail systems see a resend as the
 * same message.
 */
public final class EmailChannel implements Channel {
  private final Session session;
  private final String from;
  private final String username;
  private final String password;
  private final boolean attachCsv;

  /**
   * @param password the SMTP password (read from its file by the caller), or empty for none
   */
  public EmailChannel(
      String host,
      int port,
      boolean startTls,
      String username,
      String password,
      String from,
      boolean attachCsv) {
    Properties props = new Properties();
    props.put("mail.smtp.host", host);
    props.put("mail.smtp.port", Integer.toString(port));
    props.put("mail.smtp.auth", Boolean.toString(!username.isEmpty()));
    props.put("mail.smtp.starttls.enable", Boolean.toString(startTls));
    props.put("mail.smtp.starttls.required", Boolean.toString(startTls));
    props.put("mail.smtp.connectiontimeout", "10000");
    props.put("mail.smtp.timeout", "30000");
    props.put("mail.smtp.writetimeout", "30000");
    this.session = Session.getInstance(props);
    this.from = from;
    this.username = username;
    this.password = password;
    this.attachCsv = attachCsv;
  }

  @Override
  public String name() {
    return "email";
  }

  @Override
  public boolean reaches(List<String> recipients) {
    return !recipients.isEmpty();
  }

  /** The subject: month, namespace and total. */
  public static String subject(Bill bill) {
    return "Final bill "
        + bill.month()
        + " for namespace "
        + bill.namespace()
        + ": "
        + bill.total().toPlainString()
        + " "
        + bill.currency().getCurrencyCode();
  }

  /** The body, in words. */
  public static String body(Bill bill) {
    return "The final bill of namespace "
        + bill.namespace()
        + " for "
        + bill.month()
        + " is attached (bill "
        + bill.billNumber()
        + ").\n\nTotal: "
        + bill.total().toPlainString()
        + " "
        + bill.currency().getCurrencyCode()
        + "\nPeriod: "
        + bill.periodStart()
        + " to "
        + bill.periodEnd()
        + "\n\nThis month is closed: the bill will not change. Later corrections appear on a"
        + " later month's bill.\n";
  }

  @Override
  public void send(Parcel p) throws IOException {
    String messageId = "<" + p.key() + "@chargeback>";
    try {
      MimeMessage message =
          new MimeMessage(session) {
            @Override
            protected void updateMessageID() throws MessagingException {
              setHeader("Message-ID", messageId);
            }
          };
      message.setFrom(new InternetAddress(from));
      for (String to : p.recipients()) {
        message.addRecipient(Message.RecipientType.TO, new InternetAddress(to, true));
      }
      message.setSubject(subject(p.bill()), "UTF-8");
      MimeMultipart parts = new MimeMultipart();
      MimeBodyPart text = new MimeBodyPart();
      text.setText(body(p.bill()), "UTF-8");
      parts.addBodyPart(text);
      parts.addBodyPart(attachment(p.pdf(), "application/pdf", p.bill().billNumber() + ".pdf"));
      if (attachCsv) {
        parts.addBodyPart(attachment(p.csv(), "text/csv", p.bill().billNumber() + ".csv"));
      }
      message.setContent(parts);
      message.saveChanges();
      if (username.isEmpty()) {
        Transport.send(message);
      } else {
        Transport.send(message, username, password);
      }
    } catch (MessagingException e) {
      throw new IOException("SMTP: " + e.getMessage(), e);
    }
  }

  private static MimeBodyPart attachment(byte[] content, String type, String name)
      throws MessagingException {
    MimeBodyPart part = new MimeBodyPart();
    part.setDataHandler(new jakarta.activation.DataHandler(new ByteArrayDataSource(content, type)));
    part.setFileName(name);
    return part;
  }
}
