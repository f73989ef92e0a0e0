// pcg_uart_tx — the 8N1 UART transmitter of the board top (rtl/board/pcg_icebreaker.sv); see pcg_uart_rx.sv for DIV
// and the framing. Sends `data` when `start` pulses while `busy` is 0 (a start while busy is ignored).
// rst is synchronous, active high. Accepted by Verilator 5.006 (-Wall), Icarus 11 (-g2012), Yosys 0.23.
module pcg_uart_tx #(
    parameter int DIV = 104
) (
    input  logic       clk,
    input  logic       rst,
    input  logic       start,
    input  logic [7:0] data,
    output logic       busy,
    output logic       tx
);
  localparam int CW = $clog2(DIV + 1);
  logic [CW-1:0] cnt;
  logic [3:0] left;  // bits still to send after the current one
  logic [8:0] sh;  // {data, start bit}; shifted out LSB first, then the stop bit
  assign busy = left != '0 || cnt != '0;
  always_ff @(posedge clk) begin
    if (rst) begin
      tx <= 1'b1;
      cnt <= '0;
      left <= '0;
      sh <= '1;
    end else if (!busy) begin
      tx <= 1'b1;
      if (start) begin
        tx <= 1'b0;  // start bit
        sh <= {1'b1, data};  // then data LSB first, then stop (1)
        cnt <= CW'(DIV - 1);
        left <= 4'd9;
      end
    end else if (cnt != '0) begin
      cnt <= cnt - 1'b1;
    end else begin
      tx <= sh[0];
      sh <= {1'b1, sh[8:1]};
      cnt <= CW'(DIV - 1);
      left <= left - 1'b1;
    end
  end
endmodule
